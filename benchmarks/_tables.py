"""Markdown tables for the benchmark scripts (imported from their directory)."""


def print_table(header, rows):
    """A markdown table; columns of numbers (or "n/a") are right-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = [
        all(r[i][:1].isdigit() or r[i] == "n/a" for r in rows)
        for i in range(len(header))
    ]

    def line(cells):
        padded = [
            c.rjust(w) if right else c.ljust(w)
            for c, w, right in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rules = [
        "-" * (w + 1) + (":" if right else "-")
        for w, right in zip(widths, numeric, strict=True)
    ]
    print(line(header))
    print("|" + "|".join(rules) + "|")
    for row in rows:
        print(line(row))
    print()
