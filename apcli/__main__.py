from apcli.cli.app import main

main()
