# shellcheck shell=sh
#
# Runs functions of openwrt/files/edge-ddns.init the way /etc/rc.common would, with stand-ins for
# what rc.common and procd.sh define (procd_*, start) and for the commands that change the router
# or wait (logger, mkdir, chown, chmod, rm, sleep). Each stand-in records its call as one line of
# $CALLS: its name, then each argument, separated by tabs. uci, ubus and jsonfilter come from PATH
# (stand-ins/).
#
# Usage: sh harness.sh FUNCTION...   (e.g. start_service, reload_service, trigger)
# Environment: INIT (the init script), CALLS (the record file); optional TEST_PASSWD, TEST_UJAIL,
# TEST_SECCOMP, TEST_DECLARED, TEST_STATE_DIR (router paths pointed at the test's files),
# TEST_SETTLE, TEST_RUNNING (1: procd_running says the instance runs) and TEST_PID (the
# instance's PID in the ubus stand-in's answer).

harness_record() {
	{
		printf '%s' "$1"
		shift
		for harness_arg in "$@"; do printf '\t%s' "$harness_arg"; done
		printf '\n'
	} >>"$CALLS"
}

procd_open_instance() { harness_record procd_open_instance "$@"; }
procd_close_instance() { harness_record procd_close_instance "$@"; }
procd_set_param() { harness_record procd_set_param "$@"; }
procd_append_param() { harness_record procd_append_param "$@"; }
procd_add_jail() { harness_record procd_add_jail "$@"; }
procd_add_jail_mount() { harness_record procd_add_jail_mount "$@"; }
procd_add_jail_mount_rw() { harness_record procd_add_jail_mount_rw "$@"; }
procd_add_reload_trigger() { harness_record procd_add_reload_trigger "$@"; }
procd_add_interface_trigger() { harness_record procd_add_interface_trigger "$@"; }
procd_add_reload_interface_trigger() { harness_record procd_add_reload_interface_trigger "$@"; }
procd_send_signal() { harness_record procd_send_signal "$@"; }
procd_running() {
	harness_record procd_running "$@"
	[ "${TEST_RUNNING:-0}" = 1 ]
}
# rc.common's start: declares the service again through start_service.
start() {
	harness_record start "$@"
	start_service "$@"
}
# rc.common's, called while the init script is sourced; not a call under test.
extra_command() { :; }
logger() { harness_record logger "$@"; }
mkdir() { harness_record mkdir "$@"; }
chown() { harness_record chown "$@"; }
chmod() { harness_record chmod "$@"; }
rm() { harness_record rm "$@"; }
# The init script's waits are recorded, not waited.
sleep() { harness_record sleep "$@"; }

# shellcheck source=/dev/null # the init script under test, named by the test
. "$INIT"

# Read by the init script's functions, which shellcheck does not follow into.
# shellcheck disable=SC2034
{
	EDGE_DDNS_PASSWD=${TEST_PASSWD:-$EDGE_DDNS_PASSWD}
	EDGE_DDNS_UJAIL=${TEST_UJAIL:-$EDGE_DDNS_UJAIL}
	EDGE_DDNS_SECCOMP=${TEST_SECCOMP:-$EDGE_DDNS_SECCOMP}
	EDGE_DDNS_DECLARED=${TEST_DECLARED:-$EDGE_DDNS_DECLARED}
	EDGE_DDNS_STATE_DIR=${TEST_STATE_DIR:-$EDGE_DDNS_STATE_DIR}
	EDGE_DDNS_SETTLE=${TEST_SETTLE:-$EDGE_DDNS_SETTLE}
}

for harness_action in "$@"; do
	"$harness_action"
done
