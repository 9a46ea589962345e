"""A management server's packaged configuration files as the lab writes them: server.properties (the
embedded Jetty server) and log4j-cloud.xml in each release's log4j dialect."""
from __future__ import annotations

# client/conf/server.properties.in of apache/cloudstack @0b99c2c (license header left out): the
# embedded Jetty server's settings, bind.interface commented out (every interface).
SERVER_PROPERTIES_IN = """\
# The binding interface for the management server
# The management server will listen on all interfaces by default
# bind.interface=::

# The service context path where URL requests should be served
context.path=/client

# The HTTP port to be used by the management server
http.port=8080

# Max inactivity time in minutes for the session
session.timeout=30

# Options to configure and enable HTTPS on management server
#
# For management server to pickup these configuration settings, the configured
# keystore file should exists and be readable by the management server.
https.enable=false
https.port=8443
# The keystore and manager passwords are assumed to be same.
https.keystore=/etc/cloudstack/management/cloud.jks
https.keystore.password=vmops.com

# The path to webapp directory
webapp.dir=/usr/share/cloudstack-management/webapp

# The path to access log file
access.log=/var/log/cloudstack/management/access.log
"""


def server_properties(pairs: dict[str, str]) -> str:
    """The packaged server.properties, each given `key=value` set in place where the file has the
    key, else appended at the end, as an operator edits it."""
    pending = dict(pairs)
    lines = []
    for line in SERVER_PROPERTIES_IN.splitlines():
        key = line.split("=", 1)[0] if "=" in line and not line.startswith("#") else None
        lines.append(f"{key}={pending.pop(key)}" if key in pending else line)
    return "\n".join(lines + [f"{key}={value}" for key, value in pending.items()]) + "\n"


# log4j-cloud.xml as the packages install it, abridged to the appenders and the root logger:
# log4j 1 up to 4.19, log4j2 from 4.20 (apache/cloudstack client/conf/log4j-cloud.xml.in, the 4.20
# file @0973f7b; the log4j 1 one as the 4.19 branch and forks of it carry it). The SYSLOG appender's
# host, facility and level, and whether the root logger references it, are the scenario's.
LOG4J1_SYSLOG = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE log4j:configuration SYSTEM "log4j.dtd">
<log4j:configuration xmlns:log4j="http://jakarta.apache.org/log4j/" debug="true">
   <appender name="FILE" class="org.apache.log4j.rolling.RollingFileAppender">
      <param name="Append" value="true"/>
      <param name="Threshold" value="TRACE"/>
      <rollingPolicy class="org.apache.log4j.rolling.TimeBasedRollingPolicy">
        <param name="FileNamePattern" value="/var/log/cloudstack/management/management-server.log.%d{{yyyy-MM-dd}}.gz"/>
        <param name="ActiveFileName" value="/var/log/cloudstack/management/management-server.log"/>
      </rollingPolicy>
   </appender>
   <appender name="SYSLOG" class="org.apache.log4j.net.SyslogAppender">
      <param name="Threshold" value="{level}"/>
      <param name="SyslogHost" value="{host}"/>
      <param name="Facility" value="{facility}"/>
      <layout class="org.apache.log4j.PatternLayout">
         <param name="ConversionPattern" value="%-5p [%c{{3}}] (%t:%x) (logid:%X{{logcontextid}}) %m%n"/>
      </layout>
   </appender>
   <root>
      <level value="INFO"/>
      {syslog_ref}<appender-ref ref="FILE"/>
   </root>
</log4j:configuration>
"""
LOG4J2_SYSLOG = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration monitorInterval="60">
   <Appenders>
      <RollingFile name="FILE" append="true" fileName="/var/log/cloudstack/management/management-server.log"
                   filePattern="/var/log/cloudstack/management/management-server.log.%d{{yyyy-MM-dd}}.gz">
         <ThresholdFilter level="TRACE" onMatch="ACCEPT" onMismatch="DENY"/>
      </RollingFile>
      <Syslog name="SYSLOG" host="{host}" facility="{facility}">
         <ThresholdFilter level="{level}" onMatch="ACCEPT" onMismatch="DENY"/>
      </Syslog>
   </Appenders>
   <Loggers>
      <Root level="INFO">
         {syslog_ref}<AppenderRef ref="FILE"/>
      </Root>
   </Loggers>
</Configuration>
"""


def log4j_cloud_xml(dialect: str, host: str, facility: str, level: str, root_syslog: bool) -> str:
    template, ref = ((LOG4J1_SYSLOG, '<appender-ref ref="SYSLOG"/>') if dialect == "log4j1"
                     else (LOG4J2_SYSLOG, '<AppenderRef ref="SYSLOG"/>'))
    return template.format(host=host, facility=facility, level=level, syslog_ref=ref if root_syslog else "")
