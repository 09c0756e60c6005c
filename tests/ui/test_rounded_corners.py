"""The rounded background of buttons and panels: the coverage of each texture pixel."""

from appliance.ui.widgets import _corner_alpha


def test_corners_are_cut_with_a_soft_edge_and_the_rest_is_opaque():
    radius = 8
    side = 2 * radius + 2
    alpha = [[_corner_alpha(x, y, radius, side) for x in range(side)] for y in range(side)]
    for corner in (alpha[0][0], alpha[0][-1], alpha[-1][0], alpha[-1][-1]):
        assert corner == 0
    assert alpha[side // 2][side // 2] == 255
    assert alpha[0][side // 2] == alpha[side // 2][0] == 255  # straight edges stay full
    soft = {value for row in alpha for value in row} - {0, 255}
    assert soft  # anti-aliased pixels along the arc
    assert all(row == row[::-1] for row in alpha)  # symmetric left/right
    assert alpha == alpha[::-1]  # and top/bottom
