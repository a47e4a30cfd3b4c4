# Shared by the maintainer scripts of ctls-dkms and ctls-modules-<release>
# (packaging/build-deb.sh puts it in place of the line "#@LOADED@").

# What happens to "tls" in the running kernel now that ctls is installed.
explain_loaded() {
	if grep -q '^tls ' /proc/modules 2>/dev/null; then
		cat <<-MSG
		ctls: the stock tls module is loaded in the running kernel, so it, not
		ctls, serves the TCP ULP "tls" until it is unloaded: "rmmod tls" once
		no socket and no module uses it (lsmod shows which; bonding, nfp and
		cxgb4 hold it), or a reboot. Until then "modprobe ctls" fails (the
		kernel log: "ctls: exports duplicate symbol ... (owned by tls)").
		Sockets never move from one to the other.
		MSG
	elif grep -q '^ctls ' /proc/modules 2>/dev/null; then
		echo "ctls: ctls is loaded; a module loaded before this installation stays until it is unloaded"
	fi
}

# ctls out of the running kernel if nothing uses it, so that the next
# "modprobe tls" loads the stock module; otherwise say what holds it.
unload_ctls() {
	grep -q '^ctls ' /proc/modules 2>/dev/null || return 0
	rmmod ctls 2>/dev/null ||
		echo "ctls: ctls is in use (TLS sockets, or bonding, nfp, cxgb4): it stays loaded until they are gone and 'rmmod ctls', or a reboot"
}
