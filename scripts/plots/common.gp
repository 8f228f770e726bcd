# common.gp: what every threadlab chart shares; each chart script loads it
# first. plot.py (scripts/plot.py) sets these variables with gnuplot -e:
#
#   fmt, out      'png' or 'svg', and the file to write
#   size          '900,620': the image size in pixels
#   question      the title: the question the chart answers
#   card          the machine(s): "amd-epyc-2pu: AMD EPYC, 2 cores, 2 PUs"
#   data, n       a folder of n series files, data/1.dat ... data/n.dat:
#                 tab-separated, a header line whose first field is the
#                 series' title (empty: no key entry), then one point a line
#   colors, dashes, points, widths, sizes
#                 one word per series: '#0072B2', 1 (solid) or 2 (dashed:
#                 the second machine of an overlay), a gnuplot point type,
#                 a line width, a point size
#   marks, mark_labels
#                 x positions of dashed vertical reference lines (the core
#                 and PU counts, the default stack...) and their labels
#   categories, boxwidth
#                 bar charts: the category names (at x = 0, 1, ...) and the
#                 width of one machine's bar
# plus any variables of the chart's own (see tlcharts.py).

if (fmt eq 'svg') {
    set terminal svg size @size dynamic font 'sans,13' noenhanced background '#ffffff'
} else {
    set terminal pngcairo size @size font 'sans,11' noenhanced
}
set output out
set encoding utf8
set datafile separator "\t"

heading = question."\n".card
set title heading
# The key goes below the plot, where it can hide neither data nor the
# reference lines' labels (without a box: gnuplot 5.4 puts a boxed key
# below over the x label).
set key below center horizontal nobox reverse Left samplen 3 spacing 1.2 width 2
set grid lc rgb '#dddddd' lw 1
set border 3 lc rgb '#444444'
set tics nomirror out
set pointsize 1.1
set bars small
# Points at the ends of an axis stay clear of the border.
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0

file(i) = sprintf('%s/%d.dat', data, i)
color(i) = word(colors, i)
dash(i) = int(word(dashes, i))
point(i) = int(word(points, i))
# Series often lie on each other (pinned or not, scope or spawn-all): their
# points are hollow shapes of different kinds, which stay visible on top of
# each other; later lines are thinner (plot.py's widths), so an earlier one
# shows around their edges; and dodge moves each series' points a little
# along x (a few percent, on log axes), so error bars stand side by side.
# Scripts draw a series with "@style" where i is the series' number
# (gnuplot has no function returning a style).
line_width(i) = real(word(widths, i))
point_size(i) = real(word(sizes, i))
dodge_step = n > 5 ? 0.1 / n : 0.02  # many series: spread over +-5% at most
dodge(i, x) = x * (1 + dodge_step * (i - (n + 1) / 2.0))
style = "lc rgb color(i) dt dash(i) pt point(i) lw line_width(i) ps point_size(i)"

# Sizes in bytes, labelled in binary units, for log2 axes of bytes; and
# durations in nanoseconds, for log10 axes.
bytes_tics = '("1 KiB" 1024, "4 KiB" 4096, "16 KiB" 16384, "64 KiB" 65536, "256 KiB" 262144, "1 MiB" 1048576, "4 MiB" 4194304, "16 MiB" 16777216, "64 MiB" 67108864, "256 MiB" 268435456, "1 GiB" 1073741824)'
ns_tics = '("1 ns" 1, "10 ns" 10, "100 ns" 100, "1 µs" 1e3, "10 µs" 1e4, "100 µs" 1e5, "1 ms" 1e6, "10 ms" 1e7, "100 ms" 1e8, "1 s" 1e9, "10 s" 1e10)'

# The reference lines: dashed, grey, labelled along the line at the top
# (multi-panel charts unset the labels after the first panel).
do for [m = 1:words(marks)] {
    x_mark = real(word(marks, m))
    set arrow from first x_mark, graph 0 to first x_mark, graph 1 nohead dt 2 lw 1.5 lc rgb '#666666' back
    set label word(mark_labels, m) at first x_mark, graph 0.97 rotate by 90 right offset -1.1,0 tc rgb '#444444' font ',10' front
}
