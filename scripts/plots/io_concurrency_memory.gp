# io_concurrency_memory.gp: what one connection costs each way
# (io_concurrency, section io, metrics rss_per_connection and
# kernel_stack_per_connection): the server's resident memory per
# connection after every connection was served once, against the number of
# connections, one series per server; the threads' kernel stacks (which
# RSS does not show) as a series of their own. Points: connections, bytes
# per connection. At small counts the server's fixed cost (a pool's
# workers, a loop's tables) is spread over few connections; at large ones
# the line settles at the marginal cost.
load 'common.gp'
set logscale x 10
set logscale y 2
set ytics @bytes_tics
set ytics add ("16 B" 16, "64 B" 64, "256 B" 256)
set xlabel 'connections (log scale)'
set ylabel 'memory per connection (log scale)'
plot for [i=1:n] file(i) using (dodge(i, $1)):2 with linespoints @style title columnheader(1)
