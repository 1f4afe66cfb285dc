from pmanalytics.cli import main

main()
