/* cell-init: the container's pid 1 with --init (engine/pid1.h). */
#include "engine/pid1.h"

int main(int argc, char **argv)
{
	return pid1_main(argc, argv);
}
