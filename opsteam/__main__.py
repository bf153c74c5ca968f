from opsteam.interfaces.cli.app import main

main()
