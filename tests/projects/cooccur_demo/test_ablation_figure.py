"""The ablation runner's summary figure is legible at its default size."""
import numpy as np

from cooccur_demo import figures
from fixtures import assert_legible
from semples_mmseg.visualization.cam_figure import pyplot

LABELS = ('L_match only', '+ L_refine, random prompts',
          'prompts with L_prompt^T only', 'prompts with L_prompt^I only',
          'SemPLeS (all losses)')


def test_the_ablation_figure(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    rows = []
    for label in LABELS:
        miou = (38 + 4 * rng.random(5)).tolist()
        diffs = (4 * rng.random(5) - 1).tolist()
        rows.append(dict(label=label, mean=float(np.mean(miou)),
                         std=float(np.std(miou)), miou=miou,
                         seeds=list(range(5)),
                         diff=dict(low=-2., high=3.,
                                   mean=float(np.mean(diffs)), diffs=diffs)))
    summary = dict(rows=rows, reference=LABELS[0], selection='greedy',
                   title='Table 4: loss combinations')
    plt, drawn = pyplot(), []
    monkeypatch.setattr(plt, 'close', drawn.append)  # keep it to check
    path = figures.ablation_figure(summary, str(tmp_path / 'table4.png'))
    assert (tmp_path / 'table4.png').is_file() and path.endswith('.png')
    monkeypatch.undo()
    assert_legible(drawn[0])
