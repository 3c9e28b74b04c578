namespace GeoRisk.Core;

/// <summary>
/// Input the user can fix (a model file, a request parameter): adapters report it as HTTP 422 or a CLI
/// usage error with the stable <see cref="Code"/>, never as a server fault.
/// </summary>
public sealed class InvalidInputException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
