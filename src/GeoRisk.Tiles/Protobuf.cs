using System.Buffers;
using System.Text;

namespace GeoRisk.Tiles;

/// <summary>
/// The few protobuf wire-format primitives MVT needs (varints, zigzag, length-delimited fields). Written by
/// hand: the vector tile schema is four small messages, and a generated-code dependency (Google.Protobuf
/// plus a .proto build step) would be larger than this file.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public void Varint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _buffer.Advance(i);
    }

    public void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    public void UInt(int field, ulong value)
    {
        Tag(field, 0);
        Varint(value);
    }

    public void Bytes(int field, ReadOnlySpan<byte> bytes)
    {
        Tag(field, 2);
        Varint((ulong)bytes.Length);
        _buffer.Write(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Double(int field, double value)
    {
        Tag(field, 1);
        var span = _buffer.GetSpan(8);
        BitConverter.TryWriteBytes(span, value);
        _buffer.Advance(8);
    }

    public void Packed(int field, IReadOnlyList<uint> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        var inner = new ProtoWriter();
        foreach (var v in values)
        {
            inner.Varint(v);
        }

        Bytes(field, inner.WrittenSpan);
    }

    public static uint ZigZag(int v) => (uint)((v << 1) ^ (v >> 31));

    public static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);
}

/// <summary>Reads the protobuf wire format; throws <see cref="InvalidDataException"/> on truncated or malformed input.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool End => _position >= _data.Length;

    public ulong Varint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new InvalidDataException("Truncated varint.");
            }

            var b = _data[_position++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("Varint longer than 10 bytes.");
    }

    public (int Field, int WireType) Tag()
    {
        var tag = Varint();
        var field = (int)(tag >> 3);
        if (field <= 0)
        {
            throw new InvalidDataException("Field number 0.");
        }

        return (field, (int)(tag & 7));
    }

    public ReadOnlySpan<byte> Bytes()
    {
        var length = Varint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new InvalidDataException("Length-delimited field runs past the end.");
        }

        var slice = _data.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    public double Fixed64Double()
    {
        if (_position + 8 > _data.Length)
        {
            throw new InvalidDataException("Truncated fixed64.");
        }

        var v = BitConverter.ToDouble(_data.Slice(_position, 8));
        _position += 8;
        return v;
    }

    public float Fixed32Float()
    {
        if (_position + 4 > _data.Length)
        {
            throw new InvalidDataException("Truncated fixed32.");
        }

        var v = BitConverter.ToSingle(_data.Slice(_position, 4));
        _position += 4;
        return v;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0:
                Varint();
                break;
            case 1:
                Fixed64Double();
                break;
            case 2:
                Bytes();
                break;
            case 5:
                Fixed32Float();
                break;
            default:
                throw new InvalidDataException($"Unsupported wire type {wireType}.");
        }
    }
}
