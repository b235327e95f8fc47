/* Calendars of turns (SPEC §16): RFC 5545 written by libical, one VEVENT
 * per turn or piece of a turn, no RRULE, so that a cover shows as what it
 * is and a calendar app needs no recurrence rules to agree with us. */
#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "model/roster.h"
#include "model/rota.h"

struct ics {
	const struct roster	*r;
	const struct rota	*ro;
	icalcomponent		*cal;
	const char		*zone;
	int64_t			 from, until, now;
};

/* A wall-clock time in the zone (floating: the TZID parameter says
 * which zone). */
static struct icaltimetype
ics_local(const char *zone, int64_t ms)
{
	int64_t l = ms + tz_offset(zone, ms);

	return icaltime_from_timet_with_zone((time_t)(l / 1000), 0, NULL);
}

static void
vtz_part(icalcomponent *vtz, const char *zone, int64_t at, int64_t ofrom,
    int64_t oto)
{
	icalcomponent	*c;
	int64_t		 l = at + ofrom;

	c = icalcomponent_new(oto > ofrom ? ICAL_XDAYLIGHT_COMPONENT :
	    ICAL_XSTANDARD_COMPONENT);
	icalcomponent_add_property(c, icalproperty_new_dtstart(
	    icaltime_from_timet_with_zone((time_t)(l / 1000), 0, NULL)));
	icalcomponent_add_property(c, icalproperty_new_tzoffsetfrom(
	    (int)(ofrom / 1000)));
	icalcomponent_add_property(c, icalproperty_new_tzoffsetto(
	    (int)(oto / 1000)));
	icalcomponent_add_component(vtz, c);
}

/* The zone's VTIMEZONE for [from, until) only: its offset then and each
 * change inside (found hour by hour, then to the second). libical's own
 * component carries the zone's whole history with RRULEs some parsers
 * refuse; this one says what the feed needs and nothing else. */
static icalcomponent *
vtimezone(const char *zone, int64_t from, int64_t until)
{
	icalcomponent	*vtz = icalcomponent_new(ICAL_VTIMEZONE_COMPONENT);
	int64_t		 t, o = tz_offset(zone, from - 86400000LL), on;

	icalcomponent_add_property(vtz, icalproperty_new_tzid(zone));
	vtz_part(vtz, zone, from - 86400000LL, o, o);
	for (t = from; t < until + 86400000LL; t += 3600000LL) {
		int64_t lo = t - 3600000LL, hi = t;

		if ((on = tz_offset(zone, t)) == o)
			continue;
		while (hi - lo > 1000) {
			int64_t mid = lo + (hi - lo) / 2;

			if (tz_offset(zone, mid) == o)
				lo = mid;
			else
				hi = mid;
		}
		vtz_part(vtz, zone, hi, o, on);
		o = on;
	}
	return vtz;
}

static icalproperty *
zoned(icalproperty *p, const char *zone)
{
	icalproperty_add_parameter(p, icalparameter_new_tzid(zone));
	return p;
}

static const char *
team_title(const struct roster *r, const char *id)
{
	const struct team *t = roster_team(r, id);

	return t != NULL && t->title != NULL ? t->title : id;
}

static void
ics_piece(void *arg, const char *team, const char *member,
    const char *replaces, int64_t from, int64_t until)
{
	struct ics		*x = arg;
	icalcomponent		*ev;
	char			*uid, *sum;
	const char		*title = x->ro->title ? x->ro->title : x->ro->id;

	if (until <= x->from || from >= x->until)
		return;
	ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	uid = xprintf("%s-%lld-%s%s%s@keizoku", x->ro->id,
	    (long long)(from / 1000), team, member ? "-" : "",
	    member ? member : "");
	if (member == NULL)
		sum = xprintf("%s: %s", title, team_title(x->r, team));
	else if (replaces != NULL)
		sum = xprintf("%s: %s (%s の代行)", title, member, replaces);
	else
		sum = xprintf("%s: %s (%s)", title, member,
		    team_title(x->r, team));
	icalcomponent_add_property(ev, icalproperty_new_uid(uid));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(
	    icaltime_from_timet_with_zone((time_t)(x->now / 1000), 0,
	    icaltimezone_get_utc_timezone())));
	icalcomponent_add_property(ev, zoned(icalproperty_new_dtstart(
	    ics_local(x->zone, from)), x->zone));
	icalcomponent_add_property(ev, zoned(icalproperty_new_dtend(
	    ics_local(x->zone, until)), x->zone));
	icalcomponent_add_property(ev, icalproperty_new_summary(sum));
	icalcomponent_add_property(ev, icalproperty_new_categories(team));
	icalcomponent_add_property(ev, icalproperty_new_transp(
	    ICAL_TRANSP_OPAQUE));
	icalcomponent_add_component(x->cal, ev);
	free(uid);
	free(sum);
}

char *
rota_ics(const struct roster *r, const struct rota_state *st,
    const struct rota *ro, const char *member, int64_t from, int64_t until,
    int64_t now)
{
	struct ics	 x;
	char		*name, *s, *out;

	memset(&x, 0, sizeof x);
	x.r = r;
	x.ro = ro;
	x.from = from;
	x.until = until;
	x.now = now;
	x.zone = r->timezone != NULL ? r->timezone : ROTA_ZONE_DEFAULT;
	x.cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT,
	    icalproperty_new_version("2.0"),
	    icalproperty_new_prodid("-//keizoku//rota//JA"),
	    icalproperty_new_calscale("GREGORIAN"),
	    icalproperty_new_method(ICAL_METHOD_PUBLISH), (void *)0);
	name = member != NULL ? xprintf("%s (%s)", ro->title ? ro->title :
	    ro->id, member) : xstrdup(ro->title ? ro->title : ro->id);
	icalcomponent_add_property(x.cal, icalproperty_new_x(name));
	icalproperty_set_x_name(icalcomponent_get_first_property(x.cal,
	    ICAL_X_PROPERTY), "X-WR-CALNAME");
	free(name);
	icalcomponent_add_component(x.cal, vtimezone(x.zone, from, until));
	rota_pieces(r, st, ro, member, from, until, ics_piece, &x);
	s = icalcomponent_as_ical_string_r(x.cal);
	out = xstrdup(s);
	free(s);
	icalcomponent_free(x.cal);
	return out;
}
