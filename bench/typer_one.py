"""The floor for `ap --help`: a Typer app with one command and one option, nothing else imported.

    python bench/typer_one.py --help

bench/benchmark.py times its `--help` as the least any Typer CLI can cost to start.
"""

import typer

app = typer.Typer()


@app.command()
def main(records: str = typer.Option(".", help="The records folder.")) -> None:
    """One command, for timing Typer's start-up."""
    typer.echo(records)


if __name__ == "__main__":
    app()
