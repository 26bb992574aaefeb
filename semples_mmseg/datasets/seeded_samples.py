"""A dataset whose samples run their pipeline under their own seed."""


class SeededSamplesMixin:
    """Put before the dataset class (``class D(SeededSamplesMixin,
    BaseSegDataset)``): an index that carries ``seeded_rng`` (the
    ``SeededIndex`` of ``SeededSampler``) runs the pipeline with Python,
    NumPy and torch seeded by that sample's seed, so a sample's augmentation
    is the same in any worker and after ``--resume``; a plain int index
    runs it as the base class does."""

    def __getitem__(self, idx: int) -> dict:
        seeded_rng = getattr(idx, 'seeded_rng', None)
        if seeded_rng is None:
            return super().__getitem__(idx)
        with seeded_rng():
            return super().__getitem__(int(idx))
