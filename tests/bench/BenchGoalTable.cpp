// Prints the goal rows every benchmark of one `scripts/dev bench` run appended to the file
// COMFYGATE_BENCH_GOALS names, as one table, and how many goals are met.
#include "GoalTable.h"

#include <cstdio>
#include <exception>

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s GOALS_FILE\n", argv[0]);
        return 2;
    }
    try {
        const auto table = comfygate::bench::GoalTable::read(argv[1]);
        std::size_t met = 0;
        for (const auto& row : table.rows())
            met += row.met;
        table.print();
        std::printf("\n%zu of %zu goals met\n", met, table.rows().size());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-goal-table: %s\n", e.what());
        return 1;
    }
}
