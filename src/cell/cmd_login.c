/* cell login REGISTRY and cell logout REGISTRY: credentials in the
 * containers-auth.json file (--authfile, $REGISTRY_AUTH_FILE, or the
 * default $XDG_RUNTIME_DIR/containers/auth.json). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "registry/auth.h"
#include "registry/login.h"

/* A line from f without its newline; echo off when it is a terminal. */
static char *read_line(FILE *f, const char *prompt, bool secret)
{
	int fd = fileno(f);
	bool tty = isatty(fd);
	struct termios old, quiet;
	if (prompt && tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
	}
	if (secret && tty && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	} else {
		tty = false;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

int cmd_login(const struct global_opts *g, int argc, char **argv)
{
	enum { OPT_PASSWORD_STDIN = 1100, OPT_GET_LOGIN };
	static const struct option opts[] = {
	    CLI_REGISTRY_OPTIONS,
	    {"username", required_argument, NULL, 'u'},
	    {"password", required_argument, NULL, 'p'},
	    {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
	    {"get-login", no_argument, NULL, OPT_GET_LOGIN},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	_cleanup_(cli_registry_flags_clear) struct cli_registry_flags rf = {0};
	const char *user = NULL, *pass = NULL;
	bool from_stdin = false, get_login = false;
	int c, r = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "+u:p:h", opts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_TLS_VERIFY:
		case CLI_OPT_CERT_DIR:
		case CLI_OPT_AUTHFILE:
		case CLI_OPT_CREDS:
			r = cli_registry_flag("login", c, optarg, &rf);
			break;
		case 'u':
			user = optarg;
			break;
		case 'p':
			pass = optarg;
			break;
		case OPT_PASSWORD_STDIN:
			from_stdin = true;
			break;
		case OPT_GET_LOGIN:
			get_login = true;
			break;
		case 'h':
			cli_print_help(
			    "login", "REGISTRY", "Log in to a registry: check and keep the credentials.",
			    "  -u, --username USER       the user name (asked for when not given)\n"
			    "  -p, --password PASSWORD   the password (asked for when not given)\n"
			    "      --password-stdin      read the password from standard input\n"
			    "      --get-login           print the user name kept for REGISTRY\n");
			printf("%s", cli_registry_help);
			return 0;
		default:
			r = cli_usage_error("login", "unknown or incomplete option %s", argv[optind - 1]);
			break;
		}
	}
	if (r != 0)
		return r;
	if (optind + 1 != argc)
		return cli_usage_error("login", "one REGISTRY is needed");
	if (rf.registry.authfile && setenv("REGISTRY_AUTH_FILE", rf.registry.authfile, 1) < 0)
		return cli_usage_error("login", "out of memory");
	const char *registry = argv[optind];
	cell_error *err = NULL;
	if (get_login) {
		_cleanup_free_ char *key = registry_login_key(registry, &err);
		struct credentials cr;
		if (!key)
			return cli_fail(err);
		r = auth_lookup(key, &cr, &err);
		if (r == -ENOENT && !err)
			cell_error_set(&err, ENOENT, "not logged in to %s", key);
		if (r < 0)
			return cli_fail(err);
		printf("%s\n", cr.username);
		credentials_clear(&cr);
		return 0;
	}
	if (from_stdin && pass)
		return cli_usage_error("login", "--password and --password-stdin: one or the other");
	if (rf.registry.username && !user)
		user = rf.registry.username;
	if (rf.registry.username && !pass && !from_stdin)
		pass = rf.registry.password;
	_cleanup_free_ char *asked_user = NULL, *asked_pass = NULL;
	if (!user) {
		if (!isatty(STDIN_FILENO) || from_stdin)
			return cli_usage_error("login",
					       "--username is needed when standard input is not a terminal");
		if (!(asked_user = read_line(stdin, "Username: ", false)))
			return cli_usage_error("login", "no user name");
		user = asked_user;
	}
	if (from_stdin || !pass || !*pass) {
		if (!from_stdin && !isatty(STDIN_FILENO))
			return cli_usage_error("login",
					       "give --password, --password-stdin, or a terminal to ask on");
		if (!(asked_pass = read_line(stdin, from_stdin ? NULL : "Password: ", !from_stdin)))
			return cli_usage_error("login", "no password on standard input");
		pass = asked_pass;
	}
	rf.registry.username = user;
	rf.registry.password = pass;
	(void)g;
	r = registry_login(registry, &rf.registry, &err);
	if (asked_pass)
		explicit_bzero(asked_pass, strlen(asked_pass));
	if (r < 0)
		return cli_fail(err);
	printf("Login Succeeded!\n");
	return 0;
}

int cmd_logout(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"authfile", required_argument, NULL, CLI_OPT_AUTHFILE},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool all = false;
	int c;
	while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_AUTHFILE:
			if (setenv("REGISTRY_AUTH_FILE", optarg, 1) < 0)
				return cli_usage_error("logout", "out of memory");
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			cli_print_help("logout", "REGISTRY", "Forget the credentials of a registry.",
				       "  -a, --all             forget every registry's\n"
				       "      --authfile FILE   the credentials file\n");
			return 0;
		default:
			return cli_usage_error("logout", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (all ? optind != argc : optind + 1 != argc)
		return cli_usage_error("logout", all ? "--all takes no REGISTRY" : "one REGISTRY is needed");
	(void)g;
	cell_error *err = NULL;
	if (registry_logout(all ? NULL : argv[optind], all, &err) < 0)
		return cli_fail(err);
	if (all)
		printf("Removed login credentials for all registries\n");
	else
		printf("Removed login credentials for %s\n", argv[optind]);
	return 0;
}
