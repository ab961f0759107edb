#include <regex.h>

#include "base/strv.h"
#include "commands.h"
#include "runtime/lifecycle.h"

/* crun's --regex: delete every container whose id matches. */
static int delete_matching(const struct runtime_opts *g, const char *pattern, bool force)
{
	regex_t re;
	cell_error *err = NULL;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return cli_usage_error("delete", "--regex: \"%s\" is not a regular expression", pattern);
	_cleanup_strv_ char **ids = NULL;
	if (container_list_ids(g->root, &ids, &err) < 0) {
		regfree(&re);
		return cli_fail(err);
	}
	int status = 0;
	for (size_t i = 0; ids[i]; i++) {
		if (regexec(&re, ids[i], 0, NULL, 0) != 0)
			continue;
		if (runtime_delete(g, ids[i], force, &err) < 0)
			status = cli_fail(err);
	}
	regfree(&re);
	return status;
}

int cmd_delete(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"regex", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	const char *regex = NULL;
	int c;
	while ((c = getopt_long_only(argc, argv, "+fr:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'r':
			regex = optarg;
			break;
		case 'h':
			cli_print_help(
			    "delete", "CONTAINER_ID...", "Delete containers and what they hold.",
			    "  -f, --force         kill a running container first\n"
			    "  -r, --regex REGEX   delete every container whose id matches REGEX\n");
			return 0;
		default:
			return cli_usage_error("delete", "unknown option %s", argv[optind - 1]);
		}
	}
	if (regex) {
		if (optind < argc)
			return cli_usage_error("delete", "--regex takes no container ids");
		return delete_matching(g, regex, force);
	}
	if (optind >= argc)
		return cli_usage_error("delete", "missing the container id");
	int status = 0;
	for (int i = optind; i < argc; i++) {
		cell_error *err = NULL;
		if (runtime_delete(g, argv[i], force, &err) < 0)
			status = cli_fail(err);
	}
	return status;
}
