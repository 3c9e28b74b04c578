using System.Runtime.InteropServices;

namespace GeoRisk.Gdal;

/// <summary>
/// A NULL-terminated <c>char**</c> list (GDAL's CSL) of UTF-8 strings in unmanaged memory, for open and
/// creation options. Written by hand because the source generator has no marshaller for string arrays
/// that end in NULL.
/// </summary>
internal sealed class Utf8StringList : IDisposable
{
    private readonly IntPtr[] _strings;

    public Utf8StringList(IEnumerable<string>? items)
    {
        var list = items?.ToArray() ?? [];
        _strings = new IntPtr[list.Length];
        Pointer = Marshal.AllocHGlobal(IntPtr.Size * (list.Length + 1));
        for (var i = 0; i < list.Length; i++)
        {
            _strings[i] = Marshal.StringToCoTaskMemUTF8(list[i]);
            Marshal.WriteIntPtr(Pointer, i * IntPtr.Size, _strings[i]);
        }

        Marshal.WriteIntPtr(Pointer, list.Length * IntPtr.Size, IntPtr.Zero);
        Count = list.Length;
    }

    public IntPtr Pointer { get; private set; }

    public int Count { get; }

    /// <summary>NULL for an empty list, as GDAL expects for "no options".</summary>
    public IntPtr PointerOrNull => Count == 0 ? IntPtr.Zero : Pointer;

    public void Dispose()
    {
        if (Pointer == IntPtr.Zero)
        {
            return;
        }

        foreach (var s in _strings)
        {
            Marshal.FreeCoTaskMem(s);
        }

        Marshal.FreeHGlobal(Pointer);
        Pointer = IntPtr.Zero;
    }
}
