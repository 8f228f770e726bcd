# spawn_create_join.gp: what creating and joining one thread costs, per
# way of doing it (spawn_cost, section create_join). Bars: one series per
# machine; points: x, strategy, median µs, its 95% CI (drawn as a capped
# line: gnuplot's yerrorbars leave a white dot on a filled bar). The value
# is written on each bar: the question is how much threadlab adds to
# pthread, a difference too small to read off the bars' heights.
load 'common.gp'
set ylabel 'create + join one thread (µs)'
set xlabel 'how the thread is made'
set xrange [-0.6:words(categories) - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set xtics () scale 0
do for [k = 1:words(categories)] { set xtics add (word(categories, k) k - 1) }
set grid noxtics
set boxwidth boxwidth absolute
if (n < 2) { unset key }  # one machine: the bars need no key
set style fill solid 0.85 noborder
plot for [i=1:n] file(i) using 1:3 with boxes lc rgb color(i) title columnheader(1), \
     for [i=1:n] file(i) using 1:4:(0):($5 - $4) with vectors heads size screen 0.008,90 lc rgb '#333333' lw 1.5 notitle, \
     for [i=1:n] file(i) using 1:5:(sprintf('%.3g', $3)) with labels offset 0,0.8 font ',10' notitle
