# stack_size_capacity.gp: how many threads one process could create before
# spawning failed or the probe's cap stopped it (stack_size, section
# capacity), against the stack size. Points: stack bytes, threads created,
# what stopped it (an errno name, or the probe's own limit), written by
# each point.
load 'common.gp'
set logscale x 2
set logscale y 10
set xtics @bytes_tics
set xlabel 'stack size (log scale)'
set ylabel 'threads created (log scale)'
# Room on the right for the last point's label.
set offsets graph 0.05, graph 0.35, graph 0.5, graph 0.15
set key off  # one series; the axis says what it is
plot for [i=1:n] file(i) using (dodge(i, $1)):2 with linespoints @style title columnheader(1), \
     for [i=1:n] file(i) using (dodge(i, $1)):2:3 with labels left offset 0.8,-0.9 font ',10' tc rgb color(i) notitle
