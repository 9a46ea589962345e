"""Writes properties-edge.properties: settings in every syntax java.util.Properties accepts, CR and
CRLF line ends included (so it is written here rather than kept as a text file)."""
import sys

LINES = [
    "# db.properties-style settings written in every syntax java.util.Properties accepts",
    "! an exclamation-mark comment",
    "   # an indented comment",
    "",
    "db.cloud.host=10.0.0.5",
    "db.cloud.port : 3306",
    "db.cloud.name\tcloud",
    "db.cloud.username    =    cloud   ",
    "db.cloud.url.params=prepStmtCacheSize=517&cachePrepStmts=true",
    "cluster.node.IP::10.0.0.9",
    "db.cloud.uri=jdbc\\:mysql\\://10.0.0.5\\:3306/cloud",
    "key\\ with\\ spaces=value",
    "key\\=with\\:separators=value",
    "host=10.0.0.1,\\",
    "     10.0.0.2,\\",
    "\t10.0.0.3",
    "even.backslashes=ends\\\\\\\\",
    "next.line=is not joined",
    "escapes=tab\\there\\nnewline\\u00e9\\uD83D\\uDE00\\q",
    "empty.value=",
    "bare.key",
    "continued.comment=a\\",
    "# this line is text, not a comment",
    "continued.blank=b\\",
    "",
    "not.continued=c",
    "db.cloud.host=10.0.0.6",
    "\f form.feed.leads=x",
    "crlf.line=windows\r",
    "cr.only=old mac\rafter.cr=y",
    "last.line=trailing backslash\\",
]

with open(sys.argv[1], "w", newline="") as out:
    out.write("\n".join(LINES))
