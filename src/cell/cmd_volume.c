/* cell volume COMMAND: named volumes. */
#include "commands.h"

static const struct command volume_commands[] = {
    {"create", "[NAME]", "create a volume", cmd_volume_create},
    {"inspect", "VOLUME...", "show volumes in detail (JSON)", cmd_volume_inspect},
    {"list", "", "list volumes", cmd_volume_ls},
    {"ls", "", "list volumes", cmd_volume_ls},
    {"prune", "", "remove unused volumes", cmd_volume_prune},
    {"remove", "VOLUME...", "remove volumes", cmd_volume_rm},
    {"rm", "VOLUME...", "remove volumes", cmd_volume_rm},
};

int cmd_volume(const struct global_opts *g, int argc, char **argv)
{
	return cli_dispatch("volume", volume_commands, ARRAY_SIZE(volume_commands), g, argc, argv);
}
