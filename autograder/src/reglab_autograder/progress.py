"""The progress bar of ``reglab grade`` (tqdm, on stderr): done/total, elapsed, ETA, the last job."""

from __future__ import annotations

from tqdm import tqdm


class Progress:
    def __init__(self, total: int, enabled: bool):
        self.bar = tqdm(total=total, disable=not enabled or total == 0, unit="notebook", dynamic_ncols=True,
                        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [elapsed {elapsed}, ETA {remaining}{postfix}]")

    def step(self, label: str = "") -> None:
        self.bar.set_postfix_str(label[:40], refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
