from opsteam.cli import main

main()
