import java.io.FileOutputStream;
import java.util.Properties;

// Writes agent.properties the way the CloudStack agent persists it: Properties.store().
public class StoreAgent {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.setProperty("guid", "5b1fa3d6-8d7c-3e0e-a1b6-cf07cc2b7e50");
        p.setProperty("host", "10.0.0.1,10.0.0.2");
        p.setProperty("port", "8250");
        p.setProperty("zone", "1");
        p.setProperty("pod", "1");
        p.setProperty("cluster", "1");
        p.setProperty("workers", "5");
        p.setProperty("resource", "com.cloud.hypervisor.kvm.resource.LibvirtComputingResource");
        p.setProperty("LibvirtComputingResource.id", "3");
        p.setProperty("hypervisor.type", "kvm");
        p.setProperty("hypervisor.uri", "qemu:///system");
        p.setProperty("private.network.device", "cloudbr0");
        p.setProperty("public.network.device", "cloudbr0");
        p.setProperty("guest.network.device", "cloudbr0");
        p.setProperty("local.storage.uuid", "c7a3c1b4-2b7e-4f64-9d3e-0b9e3d6f7a10");
        p.setProperty("domr.scripts.dir", "scripts/network/domr/kvm");
        try (FileOutputStream out = new FileOutputStream(args[0])) {
            p.store(out, "Storage");
        }
    }
}
