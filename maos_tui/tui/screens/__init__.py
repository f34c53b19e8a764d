"""Screens and modals."""
