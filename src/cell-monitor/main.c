/* cell-monitor: the per-container monitor (engine/monitor.h). */
#include "engine/monitor.h"

int main(int argc, char **argv)
{
	return monitor_main(argc, argv);
}
