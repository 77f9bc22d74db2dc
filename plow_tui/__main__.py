from plow_tui.cli import main

raise SystemExit(main())
