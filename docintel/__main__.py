"""``python -m docintel``: the same entry point as the ``docintel`` command."""

from docintel.cli.launch import main

if __name__ == "__main__":
    main()
