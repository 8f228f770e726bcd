# million_threads.gp: a million threads? what stops them (million, sections
# threads and limits): how many threads a capped child created, and how
# many each of the kernel's limits would allow (threads-max, pid_max,
# vm.max_map_count / 2, RLIMIT_NPROC, memory), on a log scale with a
# dashed line at a million. Bars: one series per machine; points: x, name,
# threads. The count is written on each bar; the probe's bar is labelled
# with what stopped it (in its category name).
load 'common.gp'
set ylabel 'threads (log scale)'
set xrange [-0.6:words(categories) - 0.4]
set logscale y 10
set yrange [1:*]
set offsets 0, 0, graph 0.1, 0
set xtics () scale 0 rotate by -20
do for [k = 1:words(categories)] { set xtics add (word(categories, k) k - 1) }
set grid noxtics
set boxwidth boxwidth absolute
if (n < 2) { unset key }
set style fill solid 0.85 noborder
set arrow from graph 0, first 1e6 to graph 1, first 1e6 nohead dt 2 lw 1.5 lc rgb '#666666' back
set label 'a million' at graph 0.01, first 1e6 offset 0,0.6 tc rgb '#444444' font ',10'
plot for [i=1:n] file(i) using 1:3 with boxes lc rgb color(i) title columnheader(1), \
     for [i=1:n] file(i) using 1:3:(sprintf('%.0f', $3)) with labels offset 0,0.8 font ',10' notitle
