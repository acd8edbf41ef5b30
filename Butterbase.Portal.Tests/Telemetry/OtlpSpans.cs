using System.Text;

namespace Butterbase.Portal.Tests.Telemetry;

/// <summary>
/// The spans in an OTLP/HTTP `ExportTraceServiceRequest` (protobuf), read with the protobuf wire format itself
/// (https://protobuf.dev/programming-guides/encoding/) and the field numbers of opentelemetry-proto's trace.proto and
/// common.proto: enough to see names, ids, parents and attributes without a generated client.
/// </summary>
public sealed record OtlpSpan(string Name, string SpanId, string ParentSpanId, string TraceId, IReadOnlyDictionary<string, string> Attributes)
{
    public static List<OtlpSpan> Read(byte[] request)
    {
        var spans = new List<OtlpSpan>();
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1))          // ExportTraceServiceRequest.resource_spans
            foreach (var scopeSpans in Fields(resourceSpans.Bytes!).Where(f => f.Number == 2)) // ResourceSpans.scope_spans
                foreach (var span in Fields(scopeSpans.Bytes!).Where(f => f.Number == 2))      // ScopeSpans.spans
                    spans.Add(FromSpan(span.Bytes!));
        return spans;
    }

    private static OtlpSpan FromSpan(byte[] span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var attributes = new Dictionary<string, string>();
        foreach (var f in Fields(span))
            switch (f.Number)
            {
                case 1: traceId = Convert.ToHexString(f.Bytes!); break;
                case 2: spanId = Convert.ToHexString(f.Bytes!); break;
                case 4: parent = Convert.ToHexString(f.Bytes!); break;
                case 5: name = Encoding.UTF8.GetString(f.Bytes!); break;
                case 9: // KeyValue { key = 1; AnyValue value = 2 { string_value = 1; bool_value = 2; int_value = 3; ... } }
                    var kv = Fields(f.Bytes!).ToList();
                    var key = Encoding.UTF8.GetString(kv.First(x => x.Number == 1).Bytes!);
                    var value = kv.FirstOrDefault(x => x.Number == 2)?.Bytes is { } any ? Fields(any).FirstOrDefault() : null;
                    attributes[key] = value switch
                    {
                        { Number: 1, Bytes: { } text } => Encoding.UTF8.GetString(text),
                        { Number: 2 or 3, Varint: var n } => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => "",
                    };
                    break;
            }
        return new OtlpSpan(name, spanId, parent, traceId, attributes);
    }

    private sealed record Field(int Number, byte[]? Bytes, ulong Varint);

    private static IEnumerable<Field> Fields(byte[] message)
    {
        var i = 0;
        while (i < message.Length)
        {
            var tag = ReadVarint(message, ref i);
            var number = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0: yield return new Field(number, null, ReadVarint(message, ref i)); break;
                case 1: i += 8; yield return new Field(number, null, 0); break;
                case 5: i += 4; yield return new Field(number, null, 0); break;
                case 2:
                    var length = (int)ReadVarint(message, ref i);
                    yield return new Field(number, message[i..(i + length)], 0);
                    i += length;
                    break;
                default: throw new FormatException($"Unsupported protobuf wire type {tag & 7}.");
            }
        }
    }

    private static ulong ReadVarint(byte[] data, ref int i)
    {
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }
}
