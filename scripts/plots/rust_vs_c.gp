# rust_vs_c.gp: what the C port costs against Rust's own std::thread
# (rust_vs_c): per pattern of the walkthrough, the time of one operation
# in C on threadlab, in Rust, and (spawn + join) with bare pthreads.
# Series: the three; points: x (the pattern's index), median µs and its
# 95% CI. Variable: pattern_tics, the patterns' names at x = 0, 1, ...
load 'common.gp'
set xtics @pattern_tics scale 0
set xrange [-0.5:*]
set offsets 0, 0.5, 0, 0
set logscale y 10
set ylabel 'one operation (µs, log scale)'
set xlabel 'pattern'
set grid noxtics
plot for [i=1:n] file(i) using (dodge(i, $1 + 1) - 1):2:3:4 with yerrorbars @style title columnheader(1)
