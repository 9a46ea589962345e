import java.io.FileInputStream;
import java.util.Properties;
import java.util.TreeSet;

// Prints what Properties.load() reads from a file, as a JSON object with sorted keys.
public class DumpProperties {
    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        try (FileInputStream in = new FileInputStream(args[0])) {
            p.load(in);
        }
        StringBuilder out = new StringBuilder("{\n");
        String sep = "";
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            out.append(sep).append("  ").append(json(key)).append(": ").append(json(p.getProperty(key)));
            sep = ",\n";
        }
        System.out.println(out.append("\n}"));
    }
}
