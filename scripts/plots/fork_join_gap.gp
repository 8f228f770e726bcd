# fork_join_gap.gp: what a fork-join costs against the gap between forks
# (fork_join, section gap): top, the latency of one empty fork-join; bottom,
# the CPU the whole process burned per fork-join, gap included (what the
# runtime's waiting costs). Series: runtimes; points: gap µs (0 drawn a
# decade left of the smallest, labelled "0"), median ns and its 95% CI, CPU
# ns. Variable: gap_tics, a tic at each gap measured.
load 'common.gp'
unset title
set multiplot layout 2,1 title heading margins 0.12, 0.95, 0.2, 0.9 spacing 0, 0.1
set logscale x 10
set xtics @gap_tics
set xlabel 'gap between forks (log scale; 0 = back to back)'

set logscale y 10
set ytics @ns_tics
set ylabel 'latency per fork-join (log scale)'
set key off
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style notitle

set ylabel 'CPU burned per fork-join (log scale)'
set key below
plot for [i=1:n] file(i) using (dodge(i, $1)):5 with linespoints @style title columnheader(1)
unset multiplot
