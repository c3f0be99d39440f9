export { ImagesList } from './components/images-list';
export { useImages } from './api/get-images';
