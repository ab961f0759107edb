#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/timefmt.h"
#include "tap.h"

TEST(known_times)
{
	char buf[RFC3339_BUF];
	rfc3339_from_ns(0, buf, sizeof(buf));
	ASSERT_STREQ("1970-01-01T00:00:00.000000000Z", buf);
	rfc3339_from_ns(-1, buf, sizeof(buf));
	ASSERT_STREQ("1969-12-31T23:59:59.999999999Z", buf);
	rfc3339_from_ns(1704164645000000001LL, buf, sizeof(buf));
	ASSERT_STREQ("2024-01-02T03:04:05.000000001Z", buf);
	rfc3339_from_ns(1709164800LL * 1000000000, buf, sizeof(buf));
	ASSERT_STREQ("2024-02-29T00:00:00.000000000Z", buf);
	rfc3339_from_ns(951868800LL * 1000000000, buf, sizeof(buf));
	ASSERT_STREQ("2000-03-01T00:00:00.000000000Z", buf);
}

TEST(agrees_with_gmtime_over_a_wide_range)
{
	/* every 7 days, 13 hours, 17 minutes and 11 seconds from 1900 to 2261
	 * (as far as int64_t nanoseconds go): every month, leap years and the
	 * century rules included */
	char a[RFC3339_BUF], b[RFC3339_BUF];
	for (int64_t t = -2208988800LL; t < 9200000000LL; t += 7 * 86400 + 13 * 3600 + 17 * 60 + 11) {
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.000000042Z", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		rfc3339_from_ns(t * 1000000000 + 42, a, sizeof(a));
		if (strcmp(a, b) != 0)
			tap_fail(__FILE__, __LINE__, "%lld: %s != %s", (long long)t, a, b);
	}
}

TEST(now_is_well_formed)
{
	char buf[RFC3339_BUF];
	rfc3339_now(buf, sizeof(buf));
	ASSERT_EQ(30, strlen(buf));
	ASSERT_TRUE(buf[4] == '-' && buf[10] == 'T' && buf[19] == '.' && buf[29] == 'Z');
}
