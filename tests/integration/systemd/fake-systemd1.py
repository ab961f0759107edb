#!/usr/bin/python3
"""A scripted org.freedesktop.systemd1 for the tests of --systemd-cgroup on
hosts whose PID 1 is not systemd.

It answers the calls cellrt makes (StartTransientUnit, SetUnitProperties,
StopUnit) the way systemd does for a scope: it creates the scope's cgroup in
every hierarchy, moves the PIDs into it, and announces the end of the job
with the JobRemoved signal. Every call and its properties is appended as a
JSON line to the log file given as the first argument, for the test to check.
"""
import json
import os
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.freedesktop.systemd1.Manager"
LOG = sys.argv[1]


def hierarchies():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            if fstype in ("cgroup", "cgroup2"):
                yield fields[4]


def slice_path(slice_name):
    if slice_name == "-.slice":
        return ""
    base = slice_name[: -len(".slice")]
    parts = base.split("-")
    return "".join("/" + "-".join(parts[: i + 1]) + ".slice" for i in range(len(parts)))


def plain(v):
    if isinstance(v, (dbus.Array, list)):
        return [plain(x) for x in v]
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.String, dbus.ObjectPath)):
        return str(v)
    return int(v)


def log(entry):
    with open(LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")


class Manager(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/org/freedesktop/systemd1")
        self.jobs = 0
        self.units = {}

    @dbus.service.signal(IFACE, signature="uoss")
    def JobRemoved(self, job_id, job, unit, result):
        pass

    def finish(self, job_id, job, unit):
        self.JobRemoved(job_id, job, unit, "done")
        return False

    @dbus.service.method(IFACE, in_signature="ssa(sv)a(sa(sv))", out_signature="o")
    def StartTransientUnit(self, name, mode, props, aux):
        props = {str(k): plain(v) for k, v in props}
        log({"call": "StartTransientUnit", "unit": str(name), "mode": str(mode), "props": props})
        if not str(name).endswith(".scope"):
            raise dbus.exceptions.DBusException("only scopes here", name="org.freedesktop.DBus.Error.InvalidArgs")
        if str(name) in self.units:
            raise dbus.exceptions.DBusException(
                "Unit %s was already loaded or has a fragment file." % name, name="org.freedesktop.systemd1.UnitExists"
            )
        path = slice_path(props.get("Slice", "system.slice")) + "/" + str(name)
        for mnt in hierarchies():
            d = mnt + path
            # What we create here, slices included, the wrapper removes.
            parts = path.strip("/").split("/")
            for i in range(len(parts)):
                sub = mnt + "/" + "/".join(parts[: i + 1])
                if not os.path.isdir(sub):
                    os.mkdir(sub)
                    with open(LOG + ".dirs", "a") as f:
                        f.write(sub + "\n")
            # Like systemd, place the process where it can: a v1 cpuset
            # cgroup without cpus takes none (ENOSPC), and stays empty.
            for pid in props.get("PIDs", []):
                try:
                    with open(d + "/cgroup.procs", "w") as f:
                        f.write(str(pid))
                except OSError:
                    pass
        self.units[str(name)] = path
        self.jobs += 1
        job = dbus.ObjectPath("/org/freedesktop/systemd1/job/%d" % self.jobs)
        GLib.idle_add(self.finish, dbus.UInt32(self.jobs), job, name)
        return job

    @dbus.service.method(IFACE, in_signature="sba(sv)", out_signature="")
    def SetUnitProperties(self, name, runtime, props):
        log({"call": "SetUnitProperties", "unit": str(name), "props": {str(k): plain(v) for k, v in props}})
        if str(name) not in self.units:
            raise dbus.exceptions.DBusException("no unit " + name, name="org.freedesktop.systemd1.NoSuchUnit")

    @dbus.service.method(IFACE, in_signature="ss", out_signature="o")
    def StopUnit(self, name, mode):
        log({"call": "StopUnit", "unit": str(name), "mode": str(mode)})
        if self.units.pop(str(name), None) is None:
            raise dbus.exceptions.DBusException("no unit " + name, name="org.freedesktop.systemd1.NoSuchUnit")
        self.jobs += 1
        return dbus.ObjectPath("/org/freedesktop/systemd1/job/%d" % self.jobs)


dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
name = dbus.service.BusName("org.freedesktop.systemd1", bus)
manager = Manager(bus)
log({"call": "ready"})
GLib.MainLoop().run()
