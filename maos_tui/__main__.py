from maos_tui.cli import main

raise SystemExit(main())
