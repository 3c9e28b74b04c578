namespace GeoRisk.Raster.MapAlgebra;

/// <summary>A syntax or semantic error in a map-algebra expression, with the 1-based column it points at.</summary>
public sealed class ExpressionSyntaxException(string message, int column) : Exception($"{message} (column {column})")
{
    public int Column { get; } = column;
}

internal abstract record Node(int Column);

internal sealed record NumberNode(double Value, int Column) : Node(Column);

internal sealed record VariableNode(string Name, int Column) : Node(Column);

internal sealed record ArrayNode(IReadOnlyList<double> Values, int Column) : Node(Column);

internal sealed record UnaryNode(char Op, Node Operand, int Column) : Node(Column);

internal sealed record BinaryNode(string Op, Node Left, Node Right, int Column) : Node(Column);

internal sealed record CallNode(string Function, IReadOnlyList<Node> Arguments, int Column) : Node(Column);
