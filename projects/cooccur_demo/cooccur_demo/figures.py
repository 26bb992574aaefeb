"""Figures of the co-occurrence experiment (matplotlib, Agg backend).

``ablation_figure``: one bar per row of an ablation table, mean seed mIoU
with the seed standard deviation as error bar and every seed as a dot,
beside the paired difference to the reference row with its 95% interval.
The CAM panels of the demo and the training hook are
``semples_mmseg.visualization.cam_figure``.
"""
import numpy as np

from semples_mmseg.visualization.cam_figure import pyplot as _pyplot


def ablation_figure(summary: dict, path: str) -> str:
    """Write the summary figure of one ablation table to ``path`` (PNG)."""
    plt = _pyplot()
    rows = summary['rows']
    labels = [r['label'] for r in rows]
    y = np.arange(len(rows))[::-1]
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(12, 0.6 * len(rows) + 1.8), sharey=True,
        gridspec_kw=dict(width_ratios=(1.2, 1)))
    means = [r['mean'] for r in rows]
    stds = [0 if not np.isfinite(r['std']) else r['std'] for r in rows]
    ax1.barh(y, means, xerr=stds, color='#8fb3d9', capsize=4,
             label='mean +- std over seeds')
    for yi, r in zip(y, rows):
        ax1.scatter(r['miou'], [yi] * len(r['miou']), color='#1f3b5c', s=14,
                    zorder=3)
    low = min(min(r['miou']) for r in rows)
    high = max(max(r['miou']) for r in rows)
    pad = max(1., 0.15 * (high - low))
    ax1.set_xlim(max(0, low - 3 * pad), high + pad)
    ax1.set_yticks(y, labels)
    ax1.set_xlabel('seed mIoU on the val split (%; the axis does not start at 0)')
    ax1.set_title('per row (dots: seeds)')
    ax1.legend(loc='lower right', fontsize=8)
    for yi, r in zip(y, rows):
        d = r['diff']
        if r['label'] == summary['reference']:
            ax2.text(0, yi, 'reference', ha='center', va='center',
                     fontsize=9, color='grey', zorder=4,  # over the 0 line
                     bbox=dict(facecolor='white', edgecolor='none', pad=1))
            continue
        if np.isfinite(d['low']):
            ax2.plot([d['low'], d['high']], [yi, yi], color='#c0504d', lw=2)
        ax2.scatter([d['mean']], [yi], color='#c0504d', zorder=3)
        ax2.scatter(d['diffs'], [yi] * len(d['diffs']), color='#7f7f7f',
                    s=10, zorder=2)
    ax2.axvline(0, color='black', lw=0.8)
    ax2.set_xlabel(f"difference to '{summary['reference']}' (mIoU points)")
    ax2.set_title('paired by seed: mean and 95% t-interval')
    fig.suptitle(f"{summary['title']} - toy co-occurrence world, "
                 f"{len(rows[0]['seeds'])} seeds, "
                 f"{summary['selection']} threshold")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
