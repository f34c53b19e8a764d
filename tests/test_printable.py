from maos_tui.printable import printable


def test_escape_sequences_are_shown_not_sent() -> None:
    title = "copy\x1b]52;c;aGk=\x07 me\x1b[2J\x9b"
    assert printable(title) == "copy\\x1b]52;c;aGk=\\x07 me\\x1b[2J\\x9b"


def test_newlines_and_tabs_are_kept_only_when_asked() -> None:
    text = "a\tb\nc\rd\x7f"
    assert printable(text) == "a\\x09b\\x0ac\\x0dd\\x7f"
    assert printable(text, keep_newlines=True) == "a\tb\nc\\x0dd\\x7f"


def test_printable_text_is_unchanged() -> None:
    text = "Ünïcode — titles [b]stay[/b] \\x1b as typed ✓"
    assert printable(text) == text
