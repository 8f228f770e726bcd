# million_waits.gp: a million waits held at once (million, section waits),
# per way of holding them (epoll timers, libuv timers, tasks queued on a
# pool): bytes each wait took while all were held (left) and the wall time
# until the last ended (right). Bars: one series per machine; points: x,
# way, median bytes, then median seconds. The value is written on each bar.
load 'common.gp'
unset title
set multiplot layout 1,2 title heading margins 0.08, 0.98, 0.25, 0.81 spacing 0.09, 0
set xrange [-0.6:words(categories) - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set xtics () scale 0
do for [k = 1:words(categories)] { set xtics add (word(categories, k) k - 1) }
set grid noxtics
set boxwidth boxwidth absolute
set style fill solid 0.85 noborder
set key off

set title 'memory per wait'
set ylabel 'bytes per wait'
plot for [i=1:n] file(i) using 1:3 with boxes lc rgb color(i) notitle, \
     for [i=1:n] file(i) using 1:3:(sprintf('%.0f', $3)) with labels offset 0,0.8 font ',10' notitle

set title 'until the last ended'
set ylabel 'wall time (s)'
if (n > 1) { set key at screen 0.5, screen 0.03 center bottom horizontal reverse Left }
plot for [i=1:n] file(i) using 1:4 with boxes lc rgb color(i) title columnheader(1), \
     for [i=1:n] file(i) using 1:4:(sprintf('%.2f', $4)) with labels offset 0,0.8 font ',10' notitle
unset multiplot
