package io.ichiba.broker.handlers;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Where webhooks may go: public addresses, and the internal ones the operator allows ({@code ICHIBA_WEBHOOK_ALLOW}).
 * A tenant's webhook must not make the broker reach what only the broker can: itself (loopback), the member network
 * (private ranges), a cloud's metadata service (link-local {@code 169.254.169.254}), the machine's other services.
 * Checked at creation for an address written in the URL, and at every delivery on the address the name resolves to,
 * which is the address then connected to (a name that resolves to a public address when created and to an internal
 * one later is refused then).
 */
public final class WebhookTargets {
    private final List<IpSubnetFilterRule> allowed;

    private WebhookTargets(List<IpSubnetFilterRule> allowed) {
        this.allowed = allowed;
    }

    /**
     * The targets with {@code allow} also allowed: each an IP address or a CIDR range ({@code 10.1.0.0/16},
     * {@code ::1/128}). A malformed entry is an {@link IllegalArgumentException} naming it.
     */
    public static WebhookTargets allowing(List<String> allow) {
        List<IpSubnetFilterRule> rules = new ArrayList<>();
        for (String entry : allow) {
            String[] parts = entry.split("/", 2);
            try {
                if (!parts[0].matches("[0-9a-fA-F:.]+")) {
                    throw new IllegalArgumentException("not an IP address");
                }
                InetAddress ip = InetAddress.getByName(parts[0]); // a literal: no lookup
                int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : ip instanceof Inet4Address ? 32 : 128;
                rules.add(new IpSubnetFilterRule(ip, bits, IpFilterRuleType.ACCEPT));
            } catch (IllegalArgumentException | java.net.UnknownHostException e) {
                throw new IllegalArgumentException("webhook.allow (ICHIBA_WEBHOOK_ALLOW): '" + entry + "' is not an IP "
                        + "address or a CIDR range (" + e.getMessage() + ")");
            }
        }
        return new WebhookTargets(List.copyOf(rules));
    }

    /** Whether a delivery may connect to {@code address}: a public one, or one the operator allowed. */
    public boolean allowed(InetAddress address) {
        InetSocketAddress a = new InetSocketAddress(address, 0);
        for (IpSubnetFilterRule r : allowed) {
            if (r.matches(a)) {
                return true;
            }
        }
        return !internal(address);
    }

    /**
     * Why a webhook to {@code url} is refused at creation (its host is an internal address written out, or
     * {@code localhost}), or {@code null}. A host name is checked at delivery, on what it resolves to then.
     */
    public String refusedAtCreation(URI url) {
        String host = url.getHost();
        if (host == null) {
            return null;
        }
        String name = host.toLowerCase(java.util.Locale.ROOT);
        name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (name.equals("localhost") || name.endsWith(".localhost")) {
            return "webhook.url names this machine (localhost): webhooks go to public addresses only, unless the "
                    + "operator allows an address (ICHIBA_WEBHOOK_ALLOW)";
        }
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!literal.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
            return null; // a name
        }
        try {
            InetAddress ip = InetAddress.getByName(literal);
            return allowed(ip) ? null : "webhook.url is an internal address (" + ip.getHostAddress() + "): webhooks go "
                    + "to public addresses only, unless the operator allows it (ICHIBA_WEBHOOK_ALLOW)";
        } catch (java.net.UnknownHostException e) {
            return "webhook.url has a malformed address";
        }
    }

    /**
     * Whether {@code a} is not a public unicast address: unspecified, loopback, link-local (cloud metadata), private
     * (RFC 1918, unique local), shared (carrier NAT), multicast, benchmarking, reserved, broadcast, or an IPv6 form of
     * such an IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible).
     */
    static boolean internal(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int o0 = b[0] & 0xff;
            int o1 = b[1] & 0xff;
            return o0 == 0 || o0 >= 240 // "this network", reserved and broadcast
                    || (o0 == 100 && o1 >= 64 && o1 < 128) // shared address space (carrier NAT)
                    || (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
                    || (o0 == 198 && (o1 == 18 || o1 == 19)); // benchmarking
        }
        if (a instanceof Inet6Address) {
            int w0 = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
            if ((w0 & 0xfe00) == 0xfc00) {
                return true; // unique local fc00::/7
            }
            if (w0 == 0x2002) { // 6to4: the IPv4 address in bits 16..47
                return internalV4(b, 2);
            }
            if (w0 == 0x2001 && b[2] == 0 && b[3] == 0) { // Teredo: the client's IPv4 address, inverted, at the end
                byte[] v4 = new byte[4];
                for (int i = 0; i < 4; i++) {
                    v4[i] = (byte) ~b[12 + i];
                }
                return internalV4(v4, 0);
            }
            boolean zeros = true;
            for (int i = 0; i < 10; i++) {
                zeros &= b[i] == 0;
            }
            boolean nat64 = w0 == 0x0064 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
            if ((zeros && ((b[10] == 0 && b[11] == 0) || (b[10] == (byte) 0xff && b[11] == (byte) 0xff))) || nat64) {
                return internalV4(b, 12); // IPv4-compatible, IPv4-mapped, NAT64: the IPv4 address at the end
            }
        }
        return false;
    }

    private static boolean internalV4(byte[] b, int from) {
        try {
            return internal(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, from, from + 4)));
        } catch (java.net.UnknownHostException e) {
            return true;
        }
    }
}
