import socket, sys, time
made = []
def listen(family, address, port, v6only=None, device=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    if device:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device)
    s.bind((address, port))
    s.listen(128 if port != 3306 else 80)
    made.append(s)
listen(socket.AF_INET, "0.0.0.0", 16509)          # libvirtd --listen, IPv4
listen(socket.AF_INET6, "::", 16509, v6only=1)    # and IPv6 only
listen(socket.AF_INET, "127.0.0.1", 3306)         # MariaDB bind-address = 127.0.0.1
listen(socket.AF_INET6, "::", 8250, v6only=0)     # dual stack: ss prints *
listen(socket.AF_INET, "127.0.0.1", 53, device=b"lo")  # bound to a device: ss prints %lo
listen(socket.AF_INET6, "::1", 9090)
print("ready", flush=True)
time.sleep(float(sys.argv[1]))
