import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

// For each line of the input file (UTF-8, written with \\uXXXX escapes for anything outside ASCII),
// prints what Integer.parseInt and Long.parseLong answer: the value, or the exception's class.
public class ParseNumbers {
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (s.startsWith("\\u", i)) {
                b.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                i += 5;
            } else {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }
    static String outcome(java.util.concurrent.Callable<Object> call) {
        try {
            return String.valueOf(call.call());
        } catch (Exception e) {
            return e.getClass().getSimpleName();
        }
    }
    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8)) {
            String text = unescape(line);
            System.out.println(line + "\t" + outcome(() -> Integer.parseInt(text)) + "\t" + outcome(() -> Long.parseLong(text)));
        }
    }
}
