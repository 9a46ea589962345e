"""What a new TCP connection to a port meets on its way to the host's own socket, walked as netfilter walks it
(pure functions).

netfilter (iptables(8), "TARGETS"; iptables-extensions(8)) takes the rules of a chain in order. A rule
matches when all its conditions hold; its target then decides: ACCEPT, DROP and REJECT end the walk of the
chain, `-j CHAIN` enters a user chain and comes back after it (at its end or at RETURN), `-g CHAIN` enters it
without coming back (its end then returns to the chain that jumped last), RETURN in a built-in chain or the
end of a built-in chain applies its policy. LOG and NFLOG (and the other non-terminating targets below) let
the packet go on.

A new incoming connection meets the built-in chains of several tables, in this order (iptables(8), "TABLES";
the netfilter packet flow, https://en.wikipedia.org/wiki/Netfilter#/media/File:Netfilter-packet-flow.svg):
raw PREROUTING, (conntrack), mangle PREROUTING, nat PREROUTING, routing, mangle INPUT, filter INPUT, security
INPUT. A DROP or REJECT in any of them closes the port; an ACCEPT outside filter only ends that table's chain,
and the packet goes on to the next. A DNAT or REDIRECT in nat PREROUTING sends the connection somewhere else
than the port it was addressed to: the walk does not follow it (UNDECIDABLE, naming the rule).

The connection is the first packet of a new TCP connection (a SYN, conntrack state NEW), arriving on one
interface that is not loopback, from one source address, to one of the host's addresses. What the client
chooses (its source port, an IPv6 routing header the kernel ignores) is tried every way the rules tell apart:
the port is open if one choice opens it. A condition that depends on state the walk cannot see (an ipset's
members, a rate, a mark, a `recent` list ...) is walked both ways, at most MAX_BRANCHES ways in all: if every
way gives the same answer, that answer is certain and the evidence says what was not judged; if they differ,
the verdict is UNDECIDABLE, naming the rule, and a check reports "not checked", never "passed".

The walk is read in four modules, each standing on the one before: matches.py (the connection, and
whether one rule's conditions hold for it), walk.py (one way through the chains, its steps and verdict),
verdict.py (evaluate: every way the client and the unjudged conditions allow, combined) and
connections.py (the representative connections to a port, and port_verdicts).
"""
