from manyi.cli import main

main()
