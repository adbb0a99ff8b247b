"""`python -m weather migrate|downgrade|seed|serve|import-open-meteo|push-bulletin`."""

from weather.cli import main

if __name__ == "__main__":
    main()
