from rnn_tui.cli import main

raise SystemExit(main())
