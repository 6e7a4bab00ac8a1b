from nnlab.cli import main

raise SystemExit(main())
