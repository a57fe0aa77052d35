export interface Item { price: number; quantity: number }
export const helper = (item: Item): number => item.price * item.quantity;
