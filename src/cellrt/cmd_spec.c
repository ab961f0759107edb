#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "commands.h"
#include "spec/defaults.h"

static const char help[] = "  -b, --bundle DIR   write DIR/config.json (default: the current directory)\n"
			   "      --rootless     a config that an unprivileged user can run\n";

int cmd_spec(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"rootless", no_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *bundle = ".";
	bool rootless = false;
	int c;
	while ((c = getopt_long_only(argc, argv, "+b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'r':
			rootless = true;
			break;
		case 'h':
			cli_print_help("spec", "", "Write a default config.json for a bundle.", help);
			return 0;
		default:
			return cli_usage_error("spec", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("spec", "unexpected argument \"%s\"", argv[optind]);

	cell_error *err = NULL;
	_cleanup_json_ json_t *spec = NULL;
	if (oci_spec_default(rootless, geteuid(), getegid(), &spec, &err) < 0)
		return cli_fail(err);
	_cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		cell_error_errno(&err, errno, "spec: bundle %s", bundle);
		return cli_fail(err);
	}
	if (faccessat(dfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		cell_error_set(&err, EEXIST, "spec: %s/config.json exists; remove it first", bundle);
		return cli_fail(err);
	}
	_cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text) {
		cell_error_set(&err, ENOMEM, "out of memory");
		return cli_fail(err);
	}
	size_t len = strlen(text);
	text[len] = '\n';
	int r = write_file_at(dfd, "config.json", text, len + 1, 0644);
	text[len] = '\0';
	if (r < 0) {
		cell_error_errno(&err, r, "spec: write %s/config.json", bundle);
		return cli_fail(err);
	}
	return 0;
}
